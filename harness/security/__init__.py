"""Smart Energy security on the host: CBKE and APS security.

A leaf package (it imports zigpy's AES-MMO, `cryptography`'s AES-CCM and, for the
exchange's command names, harness.zcl.key_establishment): `field` the binary field
GF(2^m), `curves` the two Koblitz curves and their points, `certificates` the two
implicit-certificate layouts, `ecqv` public-key extraction, `ecmqv` the shared secret,
`kdf` the key derivation and the MACs, `cbke` the public face; `responder` the trust
centre's side of an exchange and `initiator` a joining device's; `aps` APS frame security.
"""
