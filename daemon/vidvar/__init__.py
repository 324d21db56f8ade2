"""vidvar: turns videos dropped into a hot folder into unique variations with ffmpeg."""

__version__ = "0.1.0"
