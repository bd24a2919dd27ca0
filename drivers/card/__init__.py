"""Medical cards over PC/SC: the reader service, card profiles and virtual cards.

- `service.CardReaderService`: the device (drivers/device.py) that follows readers
  and cards on one hardware thread and posts `events`; `service.read_once` for CLIs.
- `profiles`: PBOC 3.0 co-branded bank medical cards and China social security
  cards, read with APDUs (`apdu`) and BER-TLV (`tlv`) into an `identity.CardIdentity`.
- Backends: `pcsc` (pcscd through pyscard) and `inprocess` (slots in this process).
- `virtual.VirtualCard`: a card on vpcd answering from a card image (`emulator`,
  images in `images/`, built by `imagebuild`).

See drivers/card/README.md.
"""
