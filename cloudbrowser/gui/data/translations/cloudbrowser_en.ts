<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>ConflictDialog</name>
    <message numerus="yes">
        <source>Do the same for the other %Ln conflict(s)</source>
        <translation>
            <numerusform>Do the same for the other %Ln conflict</numerusform>
            <numerusform>Do the same for the other %Ln conflicts</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>EditFiles</name>
    <message numerus="yes">
        <source>%Ln edited file(s) have changes that were never uploaded; you are asked about each once its connection is open.</source>
        <translation>
            <numerusform>%Ln edited file have changes that were never uploaded; you are asked about each once its connection is open.</numerusform>
            <numerusform>%Ln edited files have changes that were never uploaded; you are asked about each once its connection is open.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Editing %Ln file(s)</source>
        <translation>
            <numerusform>Editing %Ln file</numerusform>
            <numerusform>Editing %Ln files</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>FileOperations</name>
    <message numerus="yes">
        <source>%Ln item(s) already exist in {where}: {names}</source>
        <translation>
            <numerusform>%Ln item already exist in {where}: {names}</numerusform>
            <numerusform>%Ln items already exist in {where}: {names}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln item(s) copied: paste in another folder (Ctrl+V).</source>
        <translation>
            <numerusform>%Ln item copied: paste in another folder (Ctrl+V).</numerusform>
            <numerusform>%Ln items copied: paste in another folder (Ctrl+V).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln item(s) cut: paste where they should go (Ctrl+V).</source>
        <translation>
            <numerusform>%Ln item cut: paste where they should go (Ctrl+V).</numerusform>
            <numerusform>%Ln items cut: paste where they should go (Ctrl+V).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln unfinished upload(s) are aborted too.</source>
        <translation>
            <numerusform>%Ln unfinished upload is aborted too.</numerusform>
            <numerusform>%Ln unfinished uploads are aborted too.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{title}: %Ln object(s) failed; {done} done.</source>
        <translation>
            <numerusform>{title}: %Ln object failed; {done} done.</numerusform>
            <numerusform>{title}: %Ln objects failed; {done} done.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{title}: cancelled ({done} done). The server may still copy %Ln object(s) already under way: each is reported when it ends.</source>
        <translation>
            <numerusform>{title}: cancelled ({done} done). The server may still copy %Ln object already under way: each is reported when it ends.</numerusform>
            <numerusform>{title}: cancelled ({done} done). The server may still copy %Ln objects already under way: each is reported when it ends.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{title}: cancelled after %Ln object(s); the rest is unchanged.</source>
        <translation>
            <numerusform>{title}: cancelled after %Ln object; the rest is unchanged.</numerusform>
            <numerusform>{title}: cancelled after %Ln objects; the rest is unchanged.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{title}: done (%Ln object(s)).</source>
        <translation>
            <numerusform>{title}: done (%Ln object).</numerusform>
            <numerusform>{title}: done (%Ln objects).</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>IncompleteUploadsDialog</name>
    <message numerus="yes">
        <source>%Ln incomplete upload(s). Their parts use storage but are no object; aborting deletes the parts.</source>
        <translation>
            <numerusform>%Ln incomplete upload. Their parts use storage but are no object; aborting deletes the parts.</numerusform>
            <numerusform>%Ln incomplete uploads. Their parts use storage but are no object; aborting deletes the parts.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Abort %Ln incomplete upload(s)? The parts already uploaded are deleted; this cannot be undone.</source>
        <translation>
            <numerusform>Abort %Ln incomplete upload? The parts already uploaded are deleted; this cannot be undone.</numerusform>
            <numerusform>Abort %Ln incomplete uploads? The parts already uploaded are deleted; this cannot be undone.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Aborted %Ln incomplete upload(s).</source>
        <translation>
            <numerusform>Aborted %Ln incomplete upload.</numerusform>
            <numerusform>Aborted %Ln incomplete uploads.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Aborting %Ln upload(s)…</source>
        <translation>
            <numerusform>Aborting %Ln upload…</numerusform>
            <numerusform>Aborting %Ln uploads…</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>%Ln bucket(s)</source>
        <translation>
            <numerusform>%Ln bucket</numerusform>
            <numerusform>%Ln buckets</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln container(s)</source>
        <translation>
            <numerusform>%Ln container</numerusform>
            <numerusform>%Ln containers</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln folder(s)</source>
        <translation>
            <numerusform>%Ln folder</numerusform>
            <numerusform>%Ln folders</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln item(s) selected</source>
        <translation>
            <numerusform>%Ln item selected</numerusform>
            <numerusform>%Ln items selected</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln object(s)</source>
        <translation>
            <numerusform>%Ln object</numerusform>
            <numerusform>%Ln objects</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln transfer(s)</source>
        <translation>
            <numerusform>%Ln transfer</numerusform>
            <numerusform>%Ln transfers</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln transfer(s) are not finished. Quit now and continue them the next time cloudbrowser starts?</source>
        <translation>
            <numerusform>%Ln transfer is not finished. Quit now and continue them the next time cloudbrowser starts?</numerusform>
            <numerusform>%Ln transfers are not finished. Quit now and continue them the next time cloudbrowser starts?</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Not uploaded yet: the changes to %Ln edited file(s). Nothing uploads them later. Quit anyway? The files stay in {folder}.</source>
        <translation>
            <numerusform>Not uploaded yet: the changes to %Ln edited file. Nothing uploads them later. Quit anyway? The files stay in {folder}.</numerusform>
            <numerusform>Not uploaded yet: the changes to %Ln edited files. Nothing uploads them later. Quit anyway? The files stay in {folder}.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Open %Ln file(s)? Each is downloaded and opened in its program.</source>
        <translation>
            <numerusform>Open %Ln file? Each is downloaded and opened in its program.</numerusform>
            <numerusform>Open %Ln files? Each is downloaded and opened in its program.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>StorageClassActions</name>
    <message numerus="yes">
        <source>%Ln object(s) not archived, passed over.</source>
        <translation>
            <numerusform>%Ln object not archived, passed over.</numerusform>
            <numerusform>%Ln objects not archived, passed over.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Restore asked for %Ln object(s).</source>
        <translation>
            <numerusform>Restore asked for %Ln object.</numerusform>
            <numerusform>Restore asked for %Ln objects.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SyncActions</name>
    <message numerus="yes">
        <source>%Ln empty folder(s) could not be removed.</source>
        <translation>
            <numerusform>%Ln empty folder could not be removed.</numerusform>
            <numerusform>%Ln empty folders could not be removed.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln file(s) could not be moved to the trash.</source>
        <translation>
            <numerusform>%Ln file could not be moved to the trash.</numerusform>
            <numerusform>%Ln files could not be moved to the trash.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Moved %Ln file(s) to the trash.</source>
        <translation>
            <numerusform>Moved %Ln file to the trash.</numerusform>
            <numerusform>Moved %Ln files to the trash.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Removed %Ln empty folder(s) gone from the cloud.</source>
        <translation>
            <numerusform>Removed %Ln empty folder gone from the cloud.</numerusform>
            <numerusform>Removed %Ln empty folders gone from the cloud.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Synchronize {cloud}: delete %Ln object(s)</source>
        <translation>
            <numerusform>Synchronize {cloud}: delete %Ln object</numerusform>
            <numerusform>Synchronize {cloud}: delete %Ln objects</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Synchronize {cloud}: {done} of %Ln file(s) transferred.</source>
        <translation>
            <numerusform>Synchronize {cloud}: {done} of %Ln file transferred.</numerusform>
            <numerusform>Synchronize {cloud}: {done} of %Ln files transferred.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{done} of %Ln file(s) transferred; the rest continue the next time cloudbrowser starts.</source>
        <translation>
            <numerusform>{done} of %Ln file transferred; the rest continue the next time cloudbrowser starts.</numerusform>
            <numerusform>{done} of %Ln files transferred; the rest continue the next time cloudbrowser starts.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SyncDialog</name>
    <message numerus="yes">
        <source>%Ln empty folder(s) gone from the cloud to remove, after the downloads.</source>
        <translation>
            <numerusform>%Ln empty folder gone from the cloud to remove, after the downloads.</numerusform>
            <numerusform>%Ln empty folders gone from the cloud to remove, after the downloads.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln empty folder(s) to make in the cloud.</source>
        <translation>
            <numerusform>%Ln empty folder to make in the cloud.</numerusform>
            <numerusform>%Ln empty folders to make in the cloud.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln empty folder(s) to make in the local folder.</source>
        <translation>
            <numerusform>%Ln empty folder to make in the local folder.</numerusform>
            <numerusform>%Ln empty folders to make in the local folder.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln file(s) left out (listed below).</source>
        <translation>
            <numerusform>%Ln file left out (listed below).</numerusform>
            <numerusform>%Ln files left out (listed below).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln file(s) to download ({size}): {new} new, {changed} changed.</source>
        <translation>
            <numerusform>%Ln file to download ({size}): {new} new, {changed} changed.</numerusform>
            <numerusform>%Ln files to download ({size}): {new} new, {changed} changed.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln file(s) to move to the system trash, after the downloads.</source>
        <translation>
            <numerusform>%Ln file to move to the system trash, after the downloads.</numerusform>
            <numerusform>%Ln files to move to the system trash, after the downloads.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln file(s) to upload ({size}): {new} new, {changed} changed.</source>
        <translation>
            <numerusform>%Ln file to upload ({size}): {new} new, {changed} changed.</numerusform>
            <numerusform>%Ln files to upload ({size}): {new} new, {changed} changed.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln file(s) unchanged.</source>
        <translation>
            <numerusform>%Ln file unchanged.</numerusform>
            <numerusform>%Ln files unchanged.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln item(s) cannot be synchronized (listed below).</source>
        <translation>
            <numerusform>%Ln item cannot be synchronized (listed below).</numerusform>
            <numerusform>%Ln items cannot be synchronized (listed below).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln object(s) to delete from the cloud, after the uploads.</source>
        <translation>
            <numerusform>%Ln object to delete from the cloud, after the uploads.</numerusform>
            <numerusform>%Ln objects to delete from the cloud, after the uploads.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Compared %Ln file(s)…</source>
        <translation>
            <numerusform>Compared %Ln file…</numerusform>
            <numerusform>Compared %Ln files…</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TransferController</name>
    <message numerus="yes">
        <source>%Ln empty folder(s) could not be made.</source>
        <translation>
            <numerusform>%Ln empty folder could not be made.</numerusform>
            <numerusform>%Ln empty folders could not be made.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln empty folder(s) made</source>
        <translation>
            <numerusform>%Ln empty folder made</numerusform>
            <numerusform>%Ln empty folders made</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln item(s) cannot be transferred and were left out.</source>
        <translation>
            <numerusform>%Ln item cannot be transferred and were left out.</numerusform>
            <numerusform>%Ln items cannot be transferred and were left out.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Continuing %Ln interrupted transfer(s)…</source>
        <translation>
            <numerusform>Continuing %Ln interrupted transfer…</numerusform>
            <numerusform>Continuing %Ln interrupted transfers…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Downloaded %Ln file(s) ({size})</source>
        <translation>
            <numerusform>Downloaded %Ln file ({size})</numerusform>
            <numerusform>Downloaded %Ln files ({size})</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Made %Ln empty folder(s).</source>
        <translation>
            <numerusform>Made %Ln empty folder.</numerusform>
            <numerusform>Made %Ln empty folders.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Preparing the upload of %Ln item(s)…</source>
        <translation>
            <numerusform>Preparing the upload of %Ln item…</numerusform>
            <numerusform>Preparing the upload of %Ln items…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Queued %Ln file(s), {size}.</source>
        <translation>
            <numerusform>Queued %Ln file, {size}.</numerusform>
            <numerusform>Queued %Ln files, {size}.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>This server does not keep empty folders: %Ln empty folder(s) of the upload were not made there.</source>
        <translation>
            <numerusform>This server does not keep empty folders: %Ln empty folder of the upload were not made there.</numerusform>
            <numerusform>This server does not keep empty folders: %Ln empty folders of the upload were not made there.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Transferred %Ln file(s) ({size})</source>
        <translation>
            <numerusform>Transferred %Ln file ({size})</numerusform>
            <numerusform>Transferred %Ln files ({size})</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Uploaded %Ln file(s) ({size})</source>
        <translation>
            <numerusform>Uploaded %Ln file ({size})</numerusform>
            <numerusform>Uploaded %Ln files ({size})</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{failed} of %Ln file(s) could not be downloaded.</source>
        <translation>
            <numerusform>{failed} of %Ln file could not be downloaded.</numerusform>
            <numerusform>{failed} of %Ln files could not be downloaded.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{failed} of %Ln file(s) could not be transferred.</source>
        <translation>
            <numerusform>{failed} of %Ln file could not be transferred.</numerusform>
            <numerusform>{failed} of %Ln files could not be transferred.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{failed} of %Ln file(s) could not be uploaded.</source>
        <translation>
            <numerusform>{failed} of %Ln file could not be uploaded.</numerusform>
            <numerusform>{failed} of %Ln files could not be uploaded.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TransferListModel</name>
    <message numerus="yes">
        <source>%Ln file(s) from “{name}”</source>
        <translation>
            <numerusform>%Ln file from “{name}”</numerusform>
            <numerusform>%Ln files from “{name}”</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Done: %Ln object(s)</source>
        <translation>
            <numerusform>Done: %Ln object</numerusform>
            <numerusform>Done: %Ln objects</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>VersionActions</name>
    <message numerus="yes">
        <source>Undelete cancelled: %Ln object(s) undeleted.</source>
        <translation>
            <numerusform>Undelete cancelled: %Ln object undeleted.</numerusform>
            <numerusform>Undelete cancelled: %Ln objects undeleted.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Undeleted %Ln object(s).</source>
        <translation>
            <numerusform>Undeleted %Ln object.</numerusform>
            <numerusform>Undeleted %Ln objects.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{failed} of %Ln object(s) could not be undeleted.</source>
        <translation>
            <numerusform>{failed} of %Ln object could not be undeleted.</numerusform>
            <numerusform>{failed} of %Ln objects could not be undeleted.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>VersionsDialog</name>
    <message numerus="yes">
        <source>%Ln day(s)</source>
        <translation>
            <numerusform>%Ln day</numerusform>
            <numerusform>%Ln days</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln hour(s)</source>
        <translation>
            <numerusform>%Ln hour</numerusform>
            <numerusform>%Ln hours</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln second(s)</source>
        <translation>
            <numerusform>%Ln second</numerusform>
            <numerusform>%Ln seconds</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln version(s)</source>
        <translation>
            <numerusform>%Ln version</numerusform>
            <numerusform>%Ln versions</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>, %Ln delete marker(s)</source>
        <translation>
            <numerusform>, %Ln delete marker</numerusform>
            <numerusform>, %Ln delete markers</numerusform>
        </translation>
    </message>
</context>
</TS>
