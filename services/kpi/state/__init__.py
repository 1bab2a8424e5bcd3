"""The owned sites' fact rows held in memory, changed per event and written behind to the database."""
