"""Everything that runs ffmpeg or ffprobe: the only code that builds their arguments.

- `probe`: what a video is, in plain words when it is not usable; output checks
- `commands`: argument lists (the fan-out encode, taps, preview, sample clips)
- `runner`: supervised runs (process group, progress, stderr tail, stall, cancel)
- `processes`: start times, liveness, killing a leftover ffmpeg that is ours
- `frames`: the raw frames an encode leaves and the preview sheet built from them
"""
