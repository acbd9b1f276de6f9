"""Fieldwork: the part of a ticket's handling done inside a township.

A township service center hands a ticket it holds to one of its community
workstations or to a grid worker (二次派单), the community replies to the
township, which reviews the draft before it goes up as the formal reply
[HD-2][HD-3]; grid workers report what they find on patrol [ORG-5] and attach
photos taken in the street. Everything here builds on dispatch's services and
its one state machine: fieldwork never changes a ticket's status itself, it
calls dispatch.services for that, and writes its own status-neutral events
(delegate, submit_community_reply …) into the same ticket history.
"""
