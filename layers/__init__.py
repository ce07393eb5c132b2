"""The planning structure: layer specs, building layers, rendering to Folium, exporting to GIS."""
