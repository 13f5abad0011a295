"""A password hasher for tests that counts how often a password is hashed (MD5 underneath, fast).

It keeps MD5's algorithm name, so the hashes the test users already have are checked by it too."""

from __future__ import annotations

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingPasswordHasher(MD5PasswordHasher):
    computed = 0

    def encode(self, password, salt):
        type(self).computed += 1
        return super().encode(password, salt)
