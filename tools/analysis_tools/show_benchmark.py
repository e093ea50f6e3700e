"""Reprint archived ``tools/benchmark.py --out`` results.

    python tools/analysis_tools/show_benchmark.py \
        docs/results/cpu_allocator/*.json

Each file's table as the benchmark printed it, with the machine setup and
the CPU allocator that was in effect.
"""
import argparse
import json

from csdnet_mm.analysis import format_table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('results', nargs='+', help='benchmark JSON files')
    args = parser.parse_args(argv)
    for path in args.results:
        with open(path) as f:
            results = json.load(f)
        setup = results['setup']
        print(f'== {path}\n{format_table(results)}')
        print(f"device {setup['device_name']}, threads {setup['threads']}, "
              f"batch {setup['batch_size']}, input "
              f"{'/'.join(map(str, setup['input_size']))} px, "
              f"{setup['repeats']} repetitions; CPU allocator: "
              f"{setup.get('allocator_in_effect', 'not recorded')}\n")
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
