;redcode
;name Mice
;author Chip Wendell
;strategy paper (replicator); 1st place in the ICWS'86 tournament
;assert 1
ptr     DAT             #0
start   MOV     #12,    ptr     ; n = 12
loop    MOV     @ptr,   <copy   ; *copy = *ptr
        DJN     loop,   ptr     ; if (--n != 0) goto loop
        SPL     @copy,  0       ; split(*copy)
        ADD     #653,   copy    ; copy += 653
        JMZ     start,  ptr     ; if (n == 0) goto start
copy    DAT             #833
        END     start
