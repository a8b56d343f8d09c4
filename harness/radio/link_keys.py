"""The Z-Stack requests that set the trust centre's link keys and its key-exchange policy.

Two requests, both zigpy-znp's own MT definitions (docs/security.md says why these):
- `install_link_key`: APP_CNF BDBAddInstallCode with format 0x02 (the key itself, "key derived
  from install code"). Z-Stack 3.x writes it into the trust centre's TCLK table entry for
  that IEEE address (APSME_AddTCLinkKey), the table its APS layer reads for frames between
  the trust centre and that device; zigpy-znp sends the same request to admit an
  install-code join. ZDO.SetLinkKey would write the APS application link-key table instead,
  which a Z-Stack 3.x trust centre does not consult for its own frames.
- `set_tc_requires_key_exchange`: APP_CNF BDBSetTcRequireKeyExchange. Z-Stack 3.x defaults to
  True (bdbTrustCenterRequireKeyExchange): a joiner must replace its link key by the Zigbee
  3.0 Request Key exchange or it is removed; a GB device replaces it by CBKE instead, so the
  harness turns the requirement off explicitly. zigpy-znp never sends it.
"""

from __future__ import annotations

import zigpy.types as zt
import zigpy_znp.commands as c
import zigpy_znp.types as t

from harness.radio import seams


async def install_link_key(app: object, ieee: zt.EUI64, key: bytes) -> None:
    """The link key the trust centre uses with `ieee` from now on (never logged)."""
    await seams.znp_of(app).request(
        c.AppConfig.BDBAddInstallCode.Req(
            InstallCodeFormat=c.app_config.InstallCodeFormat.KeyDerivedFromInstallCode,
            IEEE=t.EUI64(ieee),
            InstallCode=t.Bytes(key),
        ),
        RspStatus=t.Status.SUCCESS,
    )


async def set_tc_requires_key_exchange(app: object, required: bool) -> None:
    await seams.znp_of(app).request(
        c.AppConfig.BDBSetTcRequireKeyExchange.Req(BdbTrustCenterRequireKeyExchange=required),
        RspStatus=t.Status.SUCCESS,
    )
