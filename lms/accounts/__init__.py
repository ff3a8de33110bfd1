"""Sign-in, sign-up, invitations and OpenID Connect: views, forms and the lock-out backend."""
