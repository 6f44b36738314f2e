"""Machine-readable descriptions of the catalogue: Croissant per dataset, DCAT-AP 3 overall.

These modules turn what the services read into documents; they query nothing themselves.
"""
