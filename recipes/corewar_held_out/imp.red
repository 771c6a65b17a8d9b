;redcode-94
;name Imp
;author A. K. Dewdney
;strategy The original one-instruction warrior (Scientific American, May 1984).
        ORG     imp
imp:    MOV.I   $0, $1
        END
