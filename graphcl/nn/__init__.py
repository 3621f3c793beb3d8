"""Encoders, readouts, discriminators and projection heads."""
from graphcl.nn.molecule_gin import MoleculeGINEncoder, load_encoder, save_encoder
from graphcl.nn.output import EncoderOutput

__all__ = ["EncoderOutput", "MoleculeGINEncoder", "load_encoder", "save_encoder"]
