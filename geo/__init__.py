"""Geography for Planmap: names, the gazetteer and geocoders, coordinate systems, geometry.

Knows nothing about maps or apps.
"""
