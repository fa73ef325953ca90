"""Statistics core of Vigil: survey prevalence, record linkage, multiple systems estimation and
disclosure control. Pure Python on numpy/scipy (no Django); each module takes and returns plain data.
"""
