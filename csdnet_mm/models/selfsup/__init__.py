from .decoder_pretrain import DecoderPretrain
from .synthpairs_moco import SynthPairsMoCo
from .synthpairs_simsiam import SynthPairsSimSiam

__all__ = ['DecoderPretrain', 'SynthPairsMoCo', 'SynthPairsSimSiam']
