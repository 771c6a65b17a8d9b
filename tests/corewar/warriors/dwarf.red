;redcode-94
;name Dwarf
;author A. K. Dewdney
;strategy Bombs every fourth cell with a DAT (Scientific American, May 1984).
        ORG     start
step    EQU     4
start   ADD.AB  #step, bomb
        MOV.I   bomb, @bomb
        JMP     start
bomb    DAT     #0, #0
        END
