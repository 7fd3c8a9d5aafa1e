#include "textflag.h"

// func prefetch(addr, size uintptr)
TEXT ·prefetch(SB), NOSPLIT|NOFRAME, $0-16
	MOVD	addr+0(FP), R0
	MOVD	size+8(FP), R1
	PRFM	(R0), PLDL1KEEP
	CBZ	R1, done
	ADD	R1, R0, R0
	SUB	$1, R0, R0
	PRFM	(R0), PLDL1KEEP
done:
	RET
