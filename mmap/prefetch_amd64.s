#include "textflag.h"

// func prefetch(addr, size uintptr)
TEXT ·prefetch(SB), NOSPLIT|NOFRAME, $0-16
	MOVQ	addr+0(FP), AX
	MOVQ	size+8(FP), BX
	PREFETCHT0	(AX)
	TESTQ	BX, BX
	JZ	done
	PREFETCHT0	-1(AX)(BX*1)
done:
	RET
