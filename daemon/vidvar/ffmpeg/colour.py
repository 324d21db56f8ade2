"""Colour in ffmpeg's terms: HDR tone-mapped to SDR BT.709, the tags of SDR outputs, and
the encoder options that keep an HDR source HDR (`hdr: keep`)."""

from __future__ import annotations

from vidvar.config import EncoderProfile
from vidvar.ffmpeg.probe import MediaInfo

# HDR (PQ or HLG, BT.2020) to SDR BT.709: to linear light, to BT.709 primaries, Hable's
# curve (highlights rolled off, not clipped), then BT.709's transfer and matrix, in
# float all the way. zscale reads the source's transfer, primaries and matrix from the
# tags, given explicitly below so that a stream tagged only in its container works too.
TONEMAP = (
    "zscale=tin={transfer}:pin={primaries}:min={matrix}:t=linear:npl=100,format=gbrpf32le,"
    "zscale=p=bt709,tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv"
)
# ffprobe's name of a matrix → zscale's.
_ZSCALE_MATRIX = {"bt2020nc": "2020_ncl", "bt2020c": "2020_cl", "bt709": "709"}
# Tags of a tone-mapped output: SDR, BT.709 throughout.
SDR_TAGS = ("-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709")


def tonemap_chain(info: MediaInfo) -> str:
    """The filters that bring an HDR picture to SDR BT.709."""
    return TONEMAP.format(
        transfer=info.color_transfer,
        primaries="2020" if info.color_primaries in ("", "bt2020") else info.color_primaries,
        matrix=_ZSCALE_MATRIX.get(info.color_space, "2020_ncl"),
    )


def hdr_encoder_options(
    encoder: EncoderProfile, info: MediaInfo, threads: int, with_audio: bool
) -> list[str]:
    """HEVC Main 10 that keeps the source's HDR transfer, primaries and matrix, tagged
    in the stream (x265's VUI) and the container alike, for `hdr: keep`; `threads` per
    encoder (0: x265's own choice)."""
    primaries = info.color_primaries or "bt2020"
    matrix = info.color_space or "bt2020nc"
    transfer = info.color_transfer
    vui = f"colorprim={primaries}:transfer={transfer}:colormatrix={matrix}:log-level=error"
    if threads:
        vui += f":pools={threads}:frame-threads={min(threads, 4)}"
    args = ["-c:v", "libx265", "-preset", encoder.preset, "-crf", str(encoder.crf)]
    args += ["-pix_fmt", "yuv420p10le", "-profile:v", "main10", "-tag:v", "hvc1"]
    args += ["-x265-params", vui, "-force_key_frames", "expr:gte(t,n_forced*2)"]
    args += ["-color_primaries", primaries, "-color_trc", transfer, "-colorspace", matrix]
    if with_audio:
        args += ["-c:a", "aac", "-b:a", encoder.audio_bitrate]
    return args
