"""Summarize py-spy's collapsed stacks (`python -m benchmarks --profile` writes them):
the functions with the largest share of samples, inclusive (on the stack) and exclusive
(at the top). `python benchmarks/hotspots.py profile-get-v1-auth-me.txt [--top 30] [--grep X]`."""

import argparse
import re
from collections import Counter
from pathlib import Path


def package_of(frame: str) -> str:
    """The distribution a frame's file belongs to: the folder under site-packages, the
    standard library's module, or the project's package."""
    match = re.search(r"\((.*?)(?::\d+)?\)$", frame)
    path = match.group(1) if match else ""
    parts = path.split("/")
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    if len(parts) > 1:
        return parts[0]
    return path.removesuffix(".py") or "?"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--grep", default="", help="only frames whose text contains this")
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in args.profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        # py-spy's frames read `function (path/to/file.py:line)`; keep function and short file.
        frames = [
            re.sub(r" \(.*?([^/]+/[^/]+\.py)(?::\d+)?\)", r" (\1)", frame)
            for frame in stack.split(";")
        ]
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        exclusive[frames[-1]] += samples
        packages[package_of(stack.split(";")[-1])] += samples
    for title, counter in (
        ("by package, exclusive", packages),
        ("inclusive", inclusive),
        ("exclusive", exclusive),
    ):
        print(f"--- {title} (% of {total} samples)")
        rows = [(frame, n) for frame, n in counter.most_common() if args.grep in frame]
        for frame, n in rows[: args.top]:
            print(f"{100 * n / total:5.1f}%  {frame}")


if __name__ == "__main__":
    main()
