"""Dump every resolved leaf config (everything outside ``configs/_base_``)
to one JSON file, so a reorganisation of the configs can be checked to
leave each of them as it was.

    python tools/misc/config_snapshot.py --rev 2efaf1e \\
        --out tests/data/config_snapshots.json.gz

``--rev`` reads the configs of that commit (``git archive``) instead of the
working tree; tests/configs/test_config_moves.py compares today's configs
with the snapshot of 2efaf1e, the last commit before the configs moved to
MMPretrain's layout, so regenerate it only from that commit.

Tuples are stored as ``{"__tuple__": [...]}``: MMEngine keeps them apart
from lists (``topk=(1, 5)``), and so does the comparison.
"""
import argparse
import glob
import gzip
import json
import os
import os.path as osp
import subprocess
import sys
import tarfile
import tempfile

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

TUPLE = '__tuple__'


def to_json(value):
    """A config value as plain JSON (dicts, lists, tuples marked)."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {TUPLE: [to_json(v) for v in value]}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def leaf_configs(root: str) -> list:
    """configs/**/*.py outside configs/_base_, relative to ``root``."""
    return sorted(
        osp.relpath(p, root) for p in glob.glob(
            osp.join(root, 'configs', '**', '*.py'), recursive=True)
        if '_base_' not in osp.relpath(p, root).split(os.sep))


def resolved(path: str) -> dict:
    from mmengine.config import Config
    return to_json(Config.fromfile(path).to_dict())


def snapshot(root: str) -> dict:
    return {rel: resolved(osp.join(root, rel)) for rel in leaf_configs(root)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--rev',
        help='git revision to read configs from '
        '(default: the working tree)')
    parser.add_argument('--out', required=True)
    args = parser.parse_args(argv)
    if args.rev:
        with tempfile.TemporaryDirectory() as tmp:
            archive = osp.join(tmp, 'configs.tar')
            subprocess.run(
                ['git', 'archive', '-o', archive, args.rev, 'configs'],
                cwd=REPO,
                check=True)
            with tarfile.open(archive) as tar:
                tar.extractall(tmp)
            data = snapshot(tmp)
    else:
        data = snapshot(REPO)
    # gzip: the resolved configs are ~0.4 MB of text, ~15 kB compressed.
    with gzip.open(args.out, 'wt') as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write('\n')
    print(f'{len(data)} configs -> {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
