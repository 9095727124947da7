"""Reference tokens from CPython 3.12+'s tokenize, for the tokenizer test.

Reads file paths on stdin; writes one JSON object a line: {"path": p, "error":
null | msg, "tokens": [[kind, text], ...]} without NL, COMMENT, ENCODING and
FSTRING_MIDDLE tokens; NEWLINE, INDENT, DEDENT and ENDMARKER have empty text.
"""
import json
import sys
import token
import tokenize

SKIP = {tokenize.NL, tokenize.COMMENT, tokenize.ENCODING, token.FSTRING_MIDDLE}
NOTEXT = {tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}

for line in sys.stdin:
    path = line.rstrip("\n")
    rec = {"path": path, "error": None, "tokens": []}
    try:
        with open(path, "rb") as f:
            toks = []
            for t in tokenize.tokenize(f.readline):
                if t.type in SKIP:
                    continue
                toks.append([token.tok_name[t.type], "" if t.type in NOTEXT else t.string])
            rec["tokens"] = toks
    except (SyntaxError, tokenize.TokenError, UnicodeDecodeError, ValueError) as e:
        rec["error"] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(rec))
