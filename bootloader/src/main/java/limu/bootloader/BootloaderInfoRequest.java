// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/** Bootloader Info: {@code response { u64 revision; char *name; char *version; }}. */
final class BootloaderInfoRequest extends LimineRequest {
    static final String NAME = "limu";

    BootloaderInfoRequest() {
        super("bootloader info", 0xf55038d8e2a1202fL, 0x279426fcf5f59740L);
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        long response = context.allocateResponse(24, "the bootloader info response");
        context.writeU64(response + 8, context.hhdm(context.string(NAME, "the bootloader name")));
        context.writeU64(response + 16, context.hhdm(context.string(LimineBoot.VERSION, "the bootloader version")));
        return OptionalLong.of(response);
    }
}
