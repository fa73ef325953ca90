# Field uploads and screenings are not edited in the admin: they are what a file said, screened.
