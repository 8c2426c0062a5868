// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/** Higher-Half Direct Map: {@code response { u64 revision; u64 offset; }}. */
final class HhdmRequest extends LimineRequest {
    HhdmRequest() {
        super("HHDM", 0x48dcf1cb8ad2b852L, 0x63984e959a98244bL);
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        long response = context.allocateResponse(16, "the HHDM response");
        context.writeU64(response + 8, context.hhdmOffset());
        return OptionalLong.of(response);
    }
}
