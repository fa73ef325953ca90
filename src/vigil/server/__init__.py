"""The Vigil case-management server: a Django project whose apps persist, authorise, present and
audit case work. Domain logic (screening, statistics) stays in ``vigil.rules`` / ``vigil.stats``."""
