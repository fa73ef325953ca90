"""Date and number formats of the page languages where Django's own do not fit Vigil
(``FORMAT_MODULE_PATH``): what is not set here is Django's format for the language.

English pages show and read ISO dates (2026-05-01): the English interface serves users in every
country, and Django's English formats are those of the United States (05/01/2026), which most
of the world reads as the 5th of January. Arabic pages read day-month-year (Django sets no Arabic
input format, so the month would come first). French and Spanish are Django's (day/month/year).
Exports (CSV, JSON, XLSX) never use these: they stay ISO 8601."""
