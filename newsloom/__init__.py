"""newsloom: from a pile of news reports to verified, cited story briefings."""

__version__ = "0.1.0"
