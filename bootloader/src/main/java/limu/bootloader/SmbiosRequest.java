// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/**
 * SMBIOS: {@code response { u64 revision; void *entry_32; void *entry_64; }}, the {@code _SM_} and {@code _SM3_}
 * entry points in the BIOS area ({@link FirmwareTables}): physical for base revisions 3 and 4, HHDM addresses otherwise
 * (reachable through the fixed 4 GiB map before revision 3, and from revision 5 through the RESERVED_MAPPED region
 * holding the entry points and the structure table).
 */
final class SmbiosRequest extends LimineRequest {
    SmbiosRequest() {
        super("SMBIOS", 0x9e9046f11e095391L, 0xaa4a520fefbde5eeL);
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        boolean physical = context.baseRevision() == 3 || context.baseRevision() == 4;
        FirmwareTables.Placed p = context.firmware();
        long response = context.allocateResponse(24, "the SMBIOS response");
        context.writeU64(response + 8, physical ? p.smbios32() : context.hhdm(p.smbios32()));
        context.writeU64(response + 16, physical ? p.smbios64() : context.hhdm(p.smbios64()));
        return OptionalLong.of(response);
    }
}
