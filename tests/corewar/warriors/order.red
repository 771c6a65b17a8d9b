;redcode-94
;name order of evaluation
;author redqueen tests
;strategy pins pMARS's in-register evaluation: post-increments and pre-decrements
;strategy of the A operand happen before the B operand is read; values are latched
        ORG     go
go      ADD.AB  }c1, $c1        ; A latched before its own post-increment: c1 = #1, #3
        MOV.I   {c2, <c2        ; A pre-decrement then B pre-decrement on the same cell
        SUB.X   >c3, }c3
        MUL.F   @c4, *c4
        DJN.F   go2, {c5
go2     CMP.I   }c6, >c6
        SLT.AB  <c7, {c7
        SPL.B   loop, }c8
loop    JMP.B   loop, <c8
c1      DAT     #0, #3
c2      DAT     #2, #4
c3      DAT     #1, #1
c4      DAT     #3, #5
c5      DAT     #1, #2
c6      DAT     #0, #0
c7      DAT     #4, #4
c8      DAT     #1, #1
        END
