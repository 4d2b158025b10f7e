"""Social CRM pipeline: social likes and mentions turned into CRM marts."""

__version__ = "0.1.0"
