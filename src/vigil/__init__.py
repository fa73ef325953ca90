"""Vigil: identify, refer, prevent and count forced labour and human trafficking."""

__version__ = "0.1.0"
