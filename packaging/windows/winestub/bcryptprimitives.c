// A stand-in for bcryptprimitives.dll, which Go 1.24+ programs import (ProcessPrng) and Wine 8
// lacks. Only the Wine smoke test uses it (packaging/windows): it is never shipped, since every
// supported Windows has the real DLL. RtlGenRandom (advapi32!SystemFunction036) gives the same
// kind of random bytes.
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
	(void)inst; (void)reason; (void)reserved;
	return TRUE;
}
