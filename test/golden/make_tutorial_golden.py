"""Golden fixture for examples/autograd-tutorial.ts: the lines PyTorch 1.13 prints when running
autograd_tutorial.py (the tutorial's cells), with object addresses masked.

Run with: /usr/bin/python3 test/golden/make_tutorial_golden.py  (writes test/golden/autograd-tutorial.json)
"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# `<AddBackward0 object at 0x7f2a...>` -> `<AddBackward0 object at 0x...>`; test/eager/tutorial.test.ts
# applies the same mask to jitgrad's output.
ADDRESS = re.compile(r" object at 0x[0-9a-fA-F]+>")


def mask(line):
    return ADDRESS.sub(" object at 0x...>", line)


def main():
    stdout = subprocess.run([sys.executable, os.path.join(HERE, "autograd_tutorial.py")],
                            check=True, capture_output=True, text=True).stdout
    assert stdout.endswith("\n")
    lines = [mask(line) for line in stdout[:-1].split("\n")]
    with open(os.path.join(HERE, "autograd-tutorial.json"), "w", encoding="utf-8") as f:
        json.dump(lines, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(lines)} lines")


if __name__ == "__main__":
    main()
