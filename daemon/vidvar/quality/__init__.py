"""Measured distinctness: sample-time rules, pHash and SSIM figures, the pure measure
of a plan, and the preview sheet."""
