// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/**
 * Bootloader Performance: {@code response { u64 revision; u64 reset_usec; u64 init_usec; u64 exec_usec; }}, the
 * machine's fixed {@link BootOptions#bootloaderTimes()} (limu's boot takes no guest time).
 */
final class BootloaderPerformanceRequest extends LimineRequest {
    BootloaderPerformanceRequest() {
        super("bootloader performance", 0x6b50ad9bf36d13adL, 0xdc4c7e88fc759e17L);
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        BootloaderTimes t = context.machine().bootloaderTimes();
        long response = context.allocateResponse(32, "the bootloader performance response");
        context.writeU64(response + 8, t.resetUsec());
        context.writeU64(response + 16, t.initUsec());
        context.writeU64(response + 24, t.execUsec());
        return OptionalLong.of(response);
    }
}
