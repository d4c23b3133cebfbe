#!/usr/bin/env python3
"""Writes tests/data/jisx0213.txt: every single character of JIS X 0213:2004 (both planes,
and the half-width kana), one per line, from Python's euc_jis_2004 codec. Multi-character
sequences (kana with a combining mark) are left out: their parts are listed.

Usage: scripts/gen-jisx0213.py > tests/data/jisx0213.txt
"""
chars = set()
def add(b):
    try:
        t = bytes(b).decode("euc_jis_2004")
    except UnicodeDecodeError:
        return
    for c in t:
        chars.add(c)
for b1 in range(0xA1, 0xFF):
    for b2 in range(0xA1, 0xFF):
        add([b1, b2])
        add([0x8F, b1, b2])
for b2 in range(0xA1, 0xE0):
    add([0x8E, b2])
for c in sorted(chars):
    print(c)
