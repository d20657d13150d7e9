"""The inbox: everything the product tells a person, stored, mailed and pushed live."""
