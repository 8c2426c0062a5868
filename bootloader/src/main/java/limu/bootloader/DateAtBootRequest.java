// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/** Date At Boot (formerly Boot Time): {@code response { u64 revision; i64 timestamp; }} in UNIX seconds. */
final class DateAtBootRequest extends LimineRequest {
    DateAtBootRequest() {
        super("date at boot", 0x502746e184c088aaL, 0xfbc5ec83e6327893L);
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        long response = context.allocateResponse(16, "the date at boot response");
        context.writeU64(response + 8, context.machine().bootEpochSeconds());
        return OptionalLong.of(response);
    }
}
