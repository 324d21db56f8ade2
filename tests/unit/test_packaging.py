"""What the image and compose file promise a NAS admin, read from the files themselves."""

from __future__ import annotations

import yaml

from tests.support import REPO


def test_the_image_publishes_the_page_and_compose_maps_its_port_without_a_second_init() -> None:
    containerfile = (REPO / "Containerfile").read_text()
    assert "EXPOSE 8765" in containerfile
    assert 'ENTRYPOINT ["/usr/bin/tini", "-s", "--"' in containerfile
    assert (
        "VIDVAR_WEB_HOST=0.0.0.0" in containerfile and "VIDVAR_WEB_WITH_RUN=true" in containerfile
    )
    service = yaml.safe_load((REPO / "compose.yaml").read_text())["services"]["vidvar"]
    assert "8765:8765" in service["ports"]
    assert not service.get("init"), "tini is the image's init already"
