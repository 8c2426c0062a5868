// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/**
 * Executable Command Line: {@code response { u64 revision; char *cmdline; }} (NUL-terminated, maybe empty; the same
 * memory as the executable file's string).
 */
final class ExecutableCmdlineRequest extends LimineRequest {
    ExecutableCmdlineRequest() {
        super("executable cmdline", 0x4b161536e598651eL, 0xb390ad4a2f1f303aL);
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        long response = context.allocateResponse(16, "the executable cmdline response");
        context.writeU64(response + 8, context.hhdm(context.cmdlineString()));
        return OptionalLong.of(response);
    }
}
