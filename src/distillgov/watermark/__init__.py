"""Teacher-side watermarking: keyed marks per account group, exact detection, and a serving endpoint.

`kgw` (green list) and `synthid` (transformers' SynthID-Text) are the schemes; `detect` scores
text with exact p-values; `keys` derives keys per account group and split and attributes a
suspect to groups; `serve` and `cli` put a watermarking teacher behind an OpenAI-compatible API.
"""
