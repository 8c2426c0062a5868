// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/**
 * Executable Address (formerly Kernel Address): {@code response { u64 revision; u64 physical_base;
 * u64 virtual_base; }}, virtual_base being the lowest PT_LOAD address and physical_base where it is loaded.
 */
final class ExecutableAddressRequest extends LimineRequest {
    ExecutableAddressRequest() {
        super("executable address", 0x71ba76863cc55f63L, 0xb2644a48c516a487L);
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        long response = context.allocateResponse(24, "the executable address response");
        context.writeU64(response + 8, context.kernelPhysicalBase());
        context.writeU64(response + 16, context.kernelVirtualBase());
        return OptionalLong.of(response);
    }
}
