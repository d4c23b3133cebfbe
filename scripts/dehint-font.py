#!/usr/bin/env python3
"""Makes data/fonts/BIZUDPGothic-Regular.ttf from Debian's fonts-morisawa-bizud-gothic.

Removes TrueType hinting (glyph programs, fpgm/prep/cvt/gasp) and tables Hikae never uses
(vertical metrics, GSUB, DSIG, meta). Outlines, metrics, cmap and names are unchanged.
Hinting is ~1 MB of bytecode that PDF viewers and printers rasterizing at print resolution
do not need; without it every PDF is ~25 % smaller. Needs: pip install fonttools.
Usage: scripts/dehint-font.py /usr/share/fonts/truetype/bizud-gothic/BIZUDPGothic-Regular.ttf OUT.ttf
"""
import sys
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables import ttProgram

src, out = sys.argv[1], sys.argv[2]
f = TTFont(src, recalcTimestamp=False)
for t in ["fpgm", "prep", "cvt ", "gasp", "DSIG", "vhea", "vmtx", "GSUB", "meta"]:
    if t in f:
        del f[t]
glyf = f["glyf"]
for name in f.getGlyphOrder():
    g = glyf[name]
    if hasattr(g, "program"):
        g.program = ttProgram.Program()
        g.program.fromBytecode(b"")
m = f["maxp"]
m.maxSizeOfInstructions = m.maxFunctionDefs = m.maxInstructionDefs = 0
m.maxStackElements = m.maxTwilightPoints = m.maxStorage = 0
m.maxZones = 1
f["head"].flags &= ~(1 << 4)
f.save(out)
