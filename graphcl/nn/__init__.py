"""Encoders, readouts, discriminators and projection heads."""
from graphcl.nn.gin import GINEncoder
from graphcl.nn.output import EncoderOutput

__all__ = ["EncoderOutput", "GINEncoder"]
