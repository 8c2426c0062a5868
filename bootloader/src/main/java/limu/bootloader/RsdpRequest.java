// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/**
 * RSDP: {@code response { u64 revision; void *address; }}, the address of the ACPI 2.0 RSDP limu's firmware placed
 * ({@link FirmwareTables}): physical for base revision 3 only, an HHDM address otherwise (the HHDM covers it: the fixed
 * 4 GiB map before revision 3, a RESERVED_MAPPED region from revision 4).
 */
final class RsdpRequest extends LimineRequest {
    RsdpRequest() {
        super("RSDP", 0xc5e77b6b397e7b43L, 0x27637845accdcf3cL);
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        long rsdp = context.firmware().rsdp();
        long response = context.allocateResponse(16, "the RSDP response");
        context.writeU64(response + 8, context.baseRevision() == 3 ? rsdp : context.hhdm(rsdp));
        return OptionalLong.of(response);
    }
}
