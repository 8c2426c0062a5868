// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/** Firmware Type: {@code response { u64 revision; u64 firmware_type; }}; limu presents a BIOS PC. */
final class FirmwareTypeRequest extends LimineRequest {
    static final long X86_BIOS = 0;

    FirmwareTypeRequest() {
        super("firmware type", 0x8c2f75d90bef28a8L, 0x7045a4688eac00c3L);
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        long response = context.allocateResponse(16, "the firmware type response");
        context.writeU64(response + 8, X86_BIOS);
        return OptionalLong.of(response);
    }
}
