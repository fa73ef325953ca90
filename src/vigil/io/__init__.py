"""Readers and writers for the files Vigil takes in and gives out: tables, exports."""
