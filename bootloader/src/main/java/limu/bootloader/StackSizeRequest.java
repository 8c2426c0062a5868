// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/**
 * Stack Size: {@code request { ...; u64 stack_size; }}, {@code response { u64 revision; }}. The stack only grows:
 * it stays 64 KiB if the kernel asks for less.
 */
final class StackSizeRequest extends LimineRequest {
    StackSizeRequest() {
        super("stack size", 0x224ef0460a8e8926L, 0xe1cb0fc25f46ea3dL);
    }

    @Override
    long size(long revision) {
        return Limine.REQUEST_EXTRAS + 8;
    }

    @Override
    void prepare(FoundRequest request, BootSetup setup) {
        long wanted = request.u64(Limine.REQUEST_EXTRAS);
        if (Long.compareUnsigned(wanted, setup.stackSize()) > 0) {
            setup.stackSize(wanted);
        }
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        return OptionalLong.of(context.allocateResponse(8, "the stack size response"));
    }
}
